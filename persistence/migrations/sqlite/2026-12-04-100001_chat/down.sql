DROP TABLE chat_agents;
DROP TABLE chat_conversations;
